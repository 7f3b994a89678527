import { isIP } from 'node:net';

/** An address as 16-bit groups (2 for IPv4, 8 for IPv6), so one prefix comparison serves both. */
interface ParsedAddress {
  version: 4 | 6;
  groups: number[];
}

export interface CidrBlock extends ParsedAddress {
  prefixLength: number;
}

/** `203.0.113.0/24`, `2001:db8::/32`; a bare address is a single-host block, as AWS reads it. */
export function parseCidr(text: string): CidrBlock | undefined {
  const slash = text.indexOf('/');
  const address = parseIpAddress(slash < 0 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const maximum = address.groups.length * 16;
  if (slash < 0) return { ...address, prefixLength: maximum };
  const prefix = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > maximum) return undefined;
  return { ...address, prefixLength: Number(prefix) };
}

export function parseIpAddress(text: string): ParsedAddress | undefined {
  const version = isIP(text);
  if (version === 4) {
    const octets = text.split('.').map(Number);
    return { version, groups: [(octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!] };
  }
  if (version === 6) return { version, groups: expandIpv6(text) };
  return undefined;
}

export function cidrContains(block: CidrBlock, address: ParsedAddress): boolean {
  if (block.version !== address.version) return false;
  let remaining = block.prefixLength;
  for (let index = 0; remaining > 0; index++, remaining -= 16) {
    const bits = Math.min(16, remaining);
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if ((block.groups[index]! & mask) !== (address.groups[index]! & mask)) return false;
  }
  return true;
}

function expandIpv6(text: string): number[] {
  const zone = text.indexOf('%');
  const bare = zone < 0 ? text : text.slice(0, zone);
  const [head = '', tail] = bare.split('::');
  const toGroups = (part: string): number[] => (part === '' ? [] : part.split(':').flatMap(parseIpv6Group));
  const front = toGroups(head);
  const back = tail === undefined ? [] : toGroups(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/** A group, or an embedded IPv4 address (`::ffff:192.0.2.1`) as two groups. */
function parseIpv6Group(group: string): number[] {
  if (!group.includes('.')) return [parseInt(group, 16)];
  const octets = group.split('.').map(Number);
  return [(octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!];
}
