/**
 * Apache Curator for interop tests: compiles the Java drivers in a source
 * directory against Debian's `libcurator-*-java` jars (once per content
 * hash, cached under build/), and runs them as child JVMs that talk to the
 * test over lines on stdin/stdout.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CURATOR_JARS, curatorAvailable, javaCommand, repoRoot } from './interop.js';
import { FAST_JVM_FLAGS, JAVA_LIB_DIR, ZOOKEEPER_JAR } from './zookeeper.js';

/**
 * Classpath of a Curator client JVM. The Debian jars name their own
 * dependencies (guava, zookeeper-jute, slf4j-api, ...) in their manifests'
 * `Class-Path`, so only a logging binding is added: slf4j-nop, since the
 * drivers' stdout is the transcript and stderr is for failures only.
 */
export function curatorClasspath(): string {
  return [...CURATOR_JARS, ZOOKEEPER_JAR, join(JAVA_LIB_DIR, 'slf4j-nop.jar')].join(':');
}

/** The Java compiler: `$JAVAC` if set, otherwise `javac` from PATH. */
export function javacCommand(): string {
  return process.env.JAVAC ?? 'javac';
}

let javacProbe: boolean | undefined;

/** True when a Java compiler starts (a JRE alone has none). Cached per process. */
export function javacAvailable(): boolean {
  if (javacProbe === undefined) {
    try {
      javacProbe = spawnSync(javacCommand(), ['-version'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
    } catch {
      javacProbe = false;
    }
  }
  return javacProbe;
}

/** True when the Curator drivers can be compiled and run. */
export function curatorToolsAvailable(): boolean {
  return curatorAvailable() && javacAvailable() && existsSync(join(JAVA_LIB_DIR, 'slf4j-nop.jar'));
}

/**
 * Compiles every `*.java` file in `sourceDir` and resolves the directory
 * holding the classes. The output lives in `build/java/<hash>` where the
 * hash covers the sources, the classpath and the compiler's version, so an
 * unchanged driver costs no javac run (about 3 s on a loaded machine).
 * Compiling into a temp directory and renaming it makes concurrent test
 * files that compile the same sources safe.
 */
export async function compileJava(sourceDir: string): Promise<string> {
  const sources = readdirSync(sourceDir)
    .filter((f) => f.endsWith('.java'))
    .sort();
  if (sources.length === 0) throw new Error(`no .java files in ${sourceDir}`);
  const version = spawnSync(javacCommand(), ['-version'], { encoding: 'utf8' });
  const hash = createHash('sha256');
  hash.update(`${version.stdout}${version.stderr}\0${curatorClasspath()}\0`);
  for (const f of sources) hash.update(`${f}\0`).update(readFileSync(join(sourceDir, f))).update('\0');
  const root = join(repoRoot(), 'build', 'java');
  const out = join(root, hash.digest('hex').slice(0, 16));
  if (existsSync(join(out, '.complete'))) return out;

  await mkdir(root, { recursive: true });
  const tmp = await mkdtemp(join(root, 'tmp-'));
  try {
    const result = await run(javacCommand(), [
      '-nowarn',
      '-encoding',
      'UTF-8',
      '-cp',
      curatorClasspath(),
      '-d',
      tmp,
      ...sources.map((f) => join(sourceDir, f)),
    ]);
    if (result.code !== 0) {
      throw new Error(`javac failed (exit ${result.code}) for ${sourceDir}:\n${result.stdout}${result.stderr}`);
    }
    await writeFile(join(tmp, '.complete'), '');
    try {
      await rename(tmp, out);
    } catch (error) {
      // Another test process won the race: its classes are the same.
      if (!existsSync(join(out, '.complete'))) throw error;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return out;
}

function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every JVM started by {@link JavaProcess}, killed if the test process exits without closing them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * A Curator driver JVM. Its stdout is read as lines: the test waits for a
 * line matching a pattern ({@link expect}) and answers on stdin
 * ({@link send}). Every line is kept, for transcripts and failure messages.
 */
export class JavaProcess {
  /** Every stdout line so far, in order. */
  readonly lines: string[] = [];
  private stderrText = '';
  private partial = '';
  private consumed = 0;
  private waiters = new Set<() => void>();
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    private readonly child: ChildProcess,
    /** The main class, for messages. */
    readonly name: string,
  ) {
    live.add(child);
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = this.partial + chunk.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      this.wake();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      // Keep the tail only: a stack trace loop must not eat the test's memory.
      this.stderrText = (this.stderrText + chunk.toString('utf8')).slice(-20_000);
    });
    child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      const done = (code: number | null): void => {
        live.delete(child);
        if (this.partial !== '') this.lines.push(this.partial);
        this.partial = '';
        this.exitCode = code;
        this.wake();
        resolve(code);
      };
      child.once('close', (code) => done(code));
      child.once('error', (err) => {
        this.stderrText += `spawn failed: ${err.message}\n`;
        done(null);
      });
    });
  }

  /** Starts `mainClass` from `classDir` with Curator on the classpath. */
  static start(classDir: string, mainClass: string, args: readonly string[]): JavaProcess {
    const child = spawn(
      javaCommand(),
      [...FAST_JVM_FLAGS, '-cp', `${classDir}:${curatorClasspath()}`, mainClass, ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    return new JavaProcess(child, mainClass);
  }

  /** The process's stderr (its tail). */
  get stderr(): string {
    return this.stderrText;
  }

  /** True once the JVM has exited. */
  get done(): boolean {
    return this.exitCode !== undefined;
  }

  /** Writes one line to the driver's stdin. */
  send(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  /**
   * Resolves the next unread stdout line that matches `pattern` (lines
   * before it are skipped but kept in {@link lines}). Rejects when the JVM
   * exits first or after `timeoutMs`, with the output so far.
   */
  async expect(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    let match: RegExpExecArray | null = null;
    await this.waitUntil(
      () => {
        while (match === null && this.consumed < this.lines.length) match = pattern.exec(this.lines[this.consumed++]!);
        return match !== null;
      },
      timeoutMs,
      `a line matching ${pattern}`,
    );
    return match!;
  }

  /**
   * Resolves once `check` (re-run on every new line) returns true; rejects
   * when the JVM exits first or after `timeoutMs`, with the output so far.
   */
  async waitUntil(check: (lines: readonly string[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (check(this.lines)) return;
      if (this.done) throw new Error(`${this.name} exited (${this.exitCode}) before ${what}\n${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.describe()}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** Resolves the exit code once the JVM has exited (SIGKILL after `timeoutMs`). */
  async exit(timeoutMs = 60_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the JVM (if still running) and waits for it. */
  async kill(): Promise<void> {
    if (!this.done) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The output so far, for failure messages. */
  describe(): string {
    return `--- stdout\n${this.lines.join('\n')}${this.partial}\n--- stderr (tail)\n${this.stderrText.slice(-4_000)}`;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
