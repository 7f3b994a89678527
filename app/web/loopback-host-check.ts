/**
 * DNS-rebinding guard for the servers that run on a developer's machine (the web page, the token
 * service's Node server, the local cloud). A page on the internet can point a name it owns at
 * 127.0.0.1 and then read these servers from the victim's browser as if same-origin, but its
 * requests still say that name in `Host`. So only loopback names are answered (any port), plus
 * the hosts the developer allows. The deployed Lambda does not check: API Gateway owns its names.
 *
 * It lives in app/ because that is the one folder all three servers may import from (app/ never
 * imports from infra/ or token-service/).
 */

export const LOOPBACK_HOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** Comma-separated extra host names every local server answers to. */
export const ALLOWED_HOSTS_VARIABLE = 'LOCAL_ALLOWED_HOSTS';

export const FORBIDDEN_HOST_MESSAGE =
  'This local server answers only requests addressed to localhost, 127.0.0.1 or [::1] (any port); the Host header of this request names another host (or is missing), ' +
  `as when a web page tries DNS rebinding. To allow another name, set ${ALLOWED_HOSTS_VARIABLE} or pass --allowed-host.`;

export class InvalidAllowedHostError extends Error {}

/**
 * `hostHeaders`: every Host header the request carried (Node's `headersDistinct.host`), or the one
 * value; more than one is refused, as HTTP requires. `requestTarget`: the request line's target; an
 * absolute-form target (`GET http://evil.example/ HTTP/1.1`) names the host that counts, so its
 * authority must be allowed too.
 */
export type HostCheck = (hostHeaders: string | readonly string[] | undefined, requestTarget?: string) => boolean;

const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::\d{1,5})?$/;

/** `name`, `name:port`, `[v6]` or `[v6]:port` -> the lower-case name (brackets kept); undefined when malformed. */
export function hostNameOf(hostHeader: string): string | undefined {
  return HOST_HEADER.exec(hostHeader.trim().toLowerCase())?.[1];
}

/** One configured host: a name or address, with or without a port (any port is allowed anyway); a bare IPv6 address gets its brackets. */
export function normalizeAllowedHost(entry: string): string {
  const trimmed = entry.trim();
  const isBareIpv6 = !trimmed.startsWith('[') && trimmed.split(':').length > 2;
  const name = hostNameOf(isBareIpv6 ? `[${trimmed}]` : trimmed);
  if (!name) throw new InvalidAllowedHostError(`Allowed host "${entry}" is not a host name or address (e.g. my-laptop.test, 192.168.1.20, [fe80::1]).`);
  return name;
}

/** `a.test, b.test` -> `['a.test', 'b.test']` (for the variable and repeated flags alike). */
export function parseAllowedHosts(value: string | readonly string[] | undefined): string[] {
  const entries = typeof value === 'string' ? value.split(',') : (value ?? []).flatMap((item) => item.split(','));
  return entries.filter((entry) => entry.trim() !== '').map(normalizeAllowedHost);
}

/** A request without a Host header (HTTP/1.0) is refused too: nothing on this machine sends one. */
export function createHostCheck(allowedHosts: readonly string[] = []): HostCheck {
  const names = new Set([...LOOPBACK_HOST_NAMES, ...allowedHosts.map(normalizeAllowedHost)]);
  const isAllowedName = (host: string): boolean => {
    const name = hostNameOf(host);
    return name !== undefined && names.has(name);
  };
  return (hostHeaders, requestTarget) => {
    const values = typeof hostHeaders === 'string' ? [hostHeaders] : (hostHeaders ?? []);
    if (values.length !== 1 || !isAllowedName(values[0]!)) return false;
    if (requestTarget === undefined || requestTarget.startsWith('/') || requestTarget === '*') return true;
    return URL.canParse(requestTarget) && isAllowedName(new URL(requestTarget).host);
  };
}
