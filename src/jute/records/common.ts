import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';

/** Shapes shared by several ops. */

export interface PathRequest {
  path: string;
}

export interface PathWatchRequest {
  path: string;
  watch: boolean;
}

export interface PathVersionRequest {
  path: string;
  version: number;
}

/** A body of no bytes (ping, delete reply, closeSession). */
export type Empty = Record<string, never>;

export const EmptyCodec: Codec<Empty> = {
  write(): void {},
  read(): Empty {
    return {};
  },
};

export const PathRequestCodec: Codec<PathRequest> = {
  write(w: JuteWriter, v: PathRequest): void {
    w.ustring(v.path);
  },
  read(r: JuteReader): PathRequest {
    return { path: r.string() };
  },
};

export const PathWatchRequestCodec: Codec<PathWatchRequest> = {
  write(w: JuteWriter, v: PathWatchRequest): void {
    w.ustring(v.path).bool(v.watch);
  },
  read(r: JuteReader): PathWatchRequest {
    return { path: r.string(), watch: r.bool() };
  },
};

export const PathVersionRequestCodec: Codec<PathVersionRequest> = {
  write(w: JuteWriter, v: PathVersionRequest): void {
    w.ustring(v.path).int(v.version);
  },
  read(r: JuteReader): PathVersionRequest {
    return { path: r.string(), version: r.int() };
  },
};

export function writeStrings(w: JuteWriter, v: readonly string[]): void {
  w.vector(v, (ww, s) => ww.ustring(s));
}

export function readStrings(r: JuteReader): string[] {
  return r.vector((rr) => rr.string()) ?? [];
}

/** Any ErrorResponse-style body: one int. */
export interface ErrorResponse {
  err: number;
}

export const ErrorResponseCodec: Codec<ErrorResponse> = {
  write(w: JuteWriter, v: ErrorResponse): void {
    w.int(v.err);
  },
  read(r: JuteReader): ErrorResponse {
    return { err: r.int() };
  },
};
