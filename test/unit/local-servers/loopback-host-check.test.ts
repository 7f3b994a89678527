import { describe, expect, it } from 'vitest';
import { createHostCheck, hostNameOf, InvalidAllowedHostError, parseAllowedHosts } from '../../../app/web/loopback-host-check.ts';
import { tokenServiceServerOptionsFromEnvironment } from '../../../token-service/adapters/node-server.ts';

describe('the Host check of the local servers', () => {
  it('accepts the loopback names with any port or none, in any case', () => {
    const isAllowed = createHostCheck();
    for (const host of ['localhost', 'localhost:5173', 'LOCALHOST:1', '127.0.0.1', '127.0.0.1:8787', '[::1]', '[::1]:4566']) expect(isAllowed(host), host).toBe(true);
  });

  it('refuses other names, look-alikes, malformed headers and a missing header', () => {
    const isAllowed = createHostCheck();
    for (const host of ['evil.example', 'evil.example:5173', 'localhost.evil.example', '127.0.0.1.evil.example', 'localhost.', '127.0.0.2', '::1', '[::1]x', 'localhost:abc', 'localhost:5173:1', 'user@localhost', '', ' ']) {
      expect(isAllowed(host), JSON.stringify(host)).toBe(false);
    }
    expect(isAllowed(undefined)).toBe(false);
  });

  it('refuses two Host headers, and an absolute-form request target whose authority is not allowed', () => {
    const isAllowed = createHostCheck();
    expect(isAllowed(['localhost'])).toBe(true);
    expect(isAllowed(['localhost', 'evil.example'])).toBe(false);
    expect(isAllowed(['localhost', 'localhost'])).toBe(false);
    expect(isAllowed([])).toBe(false);
    expect(isAllowed('localhost', '/config.json')).toBe(true);
    expect(isAllowed('localhost', '*')).toBe(true);
    expect(isAllowed('localhost', 'http://localhost:5173/config.json')).toBe(true);
    for (const target of ['http://evil.example/config.json', 'https://evil.example:443/', 'http://localhost.evil.example/', 'http://user@evil.example/', 'not a url']) {
      expect(isAllowed('localhost', target), target).toBe(false);
    }
  });

  it('accepts the allowed hosts given, with or without a port, bare IPv6 addresses bracketed', () => {
    const isAllowed = createHostCheck(parseAllowedHosts('Dev-Box.test, 192.168.1.20:8080, fe80::1,'));
    for (const host of ['dev-box.test:5173', '192.168.1.20', '[fe80::1]:80', 'localhost:1']) expect(isAllowed(host), host).toBe(true);
    expect(isAllowed('other.test')).toBe(false);
    expect(parseAllowedHosts(['a.test,b.test', 'c.test'])).toEqual(['a.test', 'b.test', 'c.test']);
    expect(parseAllowedHosts(undefined)).toEqual([]);
  });

  it('refuses an allowed host that is no host name', () => {
    for (const entry of ['https://dev.test', 'dev test', 'a/b', '*']) expect(() => parseAllowedHosts(entry), entry).toThrow(InvalidAllowedHostError);
    expect(hostNameOf('[FE80::1]:443')).toBe('[fe80::1]');
  });

  it('the standalone token service reads LOCAL_ALLOWED_HOSTS', () => {
    const options = tokenServiceServerOptionsFromEnvironment({
      TOKEN_SERVICE_IDENTITY_POOL_ID: 'eu-west-1:0f0f0f0f-1111-4222-8333-444455556666',
      TOKEN_SERVICE_DEVELOPER_PROVIDER_NAME: 'login.example.app',
      TOKEN_SERVICE_HMAC_SECRET: 'x'.repeat(40),
      LOCAL_ALLOWED_HOSTS: 'tokens.dev.test',
    });
    expect(options.allowedHosts).toEqual(['tokens.dev.test']);
  });
});
