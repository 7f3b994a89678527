import { verify, type KeyObject } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { AccessDenied, InvalidKey, MalformedPolicy, MalformedSignature, MissingKey } from '../cdn-errors.ts';
import { decodeCloudFrontBase64 } from './cloudfront-base64.ts';
import { resourceMatches } from './policy-resource.ts';
import type { SignedRequestParameters } from './signed-request-parameters.ts';

export interface SignedRequestFacts {
  /** What the policy's `Resource` is matched against: `<scheme>://<host><path>`, with the rest of the query for signed URLs. */
  resourceUrl: string;
  /** The viewer's address (IPv4-mapped IPv6 addresses as IPv4). */
  sourceIp: string;
  now: Date;
  /** The public keys of the behaviour's trusted key groups, by key id. */
  trustedKeys: ReadonlyMap<string, KeyObject>;
}

/** The one statement of a policy, after the checks CloudFront makes on its shape. */
interface PolicyStatement {
  resource: string;
  dateLessThan: number;
  dateGreaterThan?: number;
  sourceIp?: string;
}

const HASH_ALGORITHMS: Record<string, string> = { SHA1: 'sha1', SHA256: 'sha256' };
const EPOCH_SECONDS = /^\d{1,12}$/;

/**
 * Verifies a signed URL or signed cookies as CloudFront does (canned or custom policy, SHA1 or
 * SHA256, RSA keys of the trusted key groups) and throws the error CloudFront would answer.
 */
export function verifySignedRequest(parameters: SignedRequestParameters | undefined, facts: SignedRequestFacts): void {
  if (parameters?.keyPairId === undefined || parameters.keyPairId === '') throw new MissingKey();
  const key = facts.trustedKeys.get(parameters.keyPairId);
  if (key === undefined) throw new InvalidKey();
  const hashAlgorithm = HASH_ALGORITHMS[parameters.hashAlgorithm ?? 'SHA1'];
  if (hashAlgorithm === undefined) throw new MalformedSignature();
  const signature = parameters.signature === undefined ? undefined : decodeCloudFrontBase64(parameters.signature);
  if (signature === undefined) throw new MalformedSignature();

  const { signedText, statement } = readPolicy(parameters, facts.resourceUrl);
  if (!verify(hashAlgorithm, signedText, key, signature)) throw new MalformedSignature();

  const nowSeconds = Math.floor(facts.now.getTime() / 1000);
  if (nowSeconds >= statement.dateLessThan) throw new AccessDenied();
  if (statement.dateGreaterThan !== undefined && nowSeconds < statement.dateGreaterThan) throw new AccessDenied();
  if (statement.sourceIp !== undefined && !addressInRange(facts.sourceIp, statement.sourceIp)) throw new AccessDenied();
  if (!resourceMatches(statement.resource, facts.resourceUrl)) throw new AccessDenied();
}

/** The bytes that were signed and the statement they say; a canned policy is rebuilt from the URL and `Expires`. */
function readPolicy(parameters: SignedRequestParameters, resourceUrl: string): { signedText: Buffer; statement: PolicyStatement } {
  if (parameters.policy !== undefined) {
    const signedText = decodeCloudFrontBase64(parameters.policy);
    if (signedText === undefined) throw new MalformedPolicy();
    return { signedText, statement: parseCustomPolicy(signedText) };
  }
  if (parameters.expires === undefined || !EPOCH_SECONDS.test(parameters.expires)) throw new MalformedPolicy();
  const dateLessThan = Number(parameters.expires);
  const canned = JSON.stringify({ Statement: [{ Resource: resourceUrl, Condition: { DateLessThan: { 'AWS:EpochTime': dateLessThan } } }] });
  return { signedText: Buffer.from(canned, 'utf8'), statement: { resource: resourceUrl, dateLessThan } };
}

const CONDITION_NAMES = new Set(['DateLessThan', 'DateGreaterThan', 'IpAddress']);

function parseCustomPolicy(text: Buffer): PolicyStatement {
  let document: unknown;
  try {
    document = JSON.parse(text.toString('utf8'));
  } catch {
    throw new MalformedPolicy();
  }
  const statements = isRecord(document) ? document.Statement : undefined;
  // CloudFront takes exactly one statement.
  if (!Array.isArray(statements) || statements.length !== 1 || !isRecord(statements[0])) throw new MalformedPolicy();
  const { Resource: resource = '*', Condition: condition } = statements[0];
  if (typeof resource !== 'string' || !isRecord(condition) || Object.keys(condition).some((name) => !CONDITION_NAMES.has(name))) throw new MalformedPolicy();
  const dateLessThan = epochTime(condition.DateLessThan);
  if (dateLessThan === undefined) throw new MalformedPolicy();
  const statement: PolicyStatement = { resource, dateLessThan };
  if (condition.DateGreaterThan !== undefined) {
    const dateGreaterThan = epochTime(condition.DateGreaterThan);
    if (dateGreaterThan === undefined) throw new MalformedPolicy();
    statement.dateGreaterThan = dateGreaterThan;
  }
  if (condition.IpAddress !== undefined) {
    const sourceIp = isRecord(condition.IpAddress) ? condition.IpAddress['AWS:SourceIp'] : undefined;
    if (typeof sourceIp !== 'string' || parseCidr(sourceIp) === undefined) throw new MalformedPolicy();
    statement.sourceIp = sourceIp;
  }
  return statement;
}

function epochTime(condition: unknown): number | undefined {
  const value = isRecord(condition) ? condition['AWS:EpochTime'] : undefined;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, ...rest] = text.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const maximum = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? maximum : Number(prefixText);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  if (prefix > maximum) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function addressInRange(sourceIp: string, cidr: string): boolean {
  const range = parseCidr(cidr)!;
  const address = sourceIp.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  const version = isIP(address);
  if (version === 0) return false;
  const list = new BlockList();
  list.addSubnet(range.address, range.prefix, range.family);
  return list.check(address, version === 4 ? 'ipv4' : 'ipv6');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
