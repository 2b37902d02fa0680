import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';

/** An identity: scheme (world, auth, digest, ip, super, x509) and id. */
export interface Id {
  scheme: string;
  id: string;
}

/** A permission grant: a bit set of {@link Perms} for an {@link Id}. */
export interface ACL {
  perms: number;
  id: Id;
}

export const IdCodec: Codec<Id> = {
  write(w: JuteWriter, v: Id): void {
    w.ustring(v.scheme).ustring(v.id);
  },
  read(r: JuteReader): Id {
    return { scheme: r.string(), id: r.string() };
  },
};

export const ACLCodec: Codec<ACL> = {
  write(w: JuteWriter, v: ACL): void {
    w.int(v.perms);
    IdCodec.write(w, v.id);
  },
  read(r: JuteReader): ACL {
    return { perms: r.int(), id: IdCodec.read(r) };
  },
};

export function writeACLs(w: JuteWriter, acl: readonly ACL[]): void {
  w.vector(acl, ACLCodec.write);
}

export function readACLs(r: JuteReader): ACL[] {
  return r.vector(ACLCodec.read) ?? [];
}
