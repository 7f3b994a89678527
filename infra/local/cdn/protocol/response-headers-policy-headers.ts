import type { ServerResponse } from 'node:http';

/** A header a response headers policy adds to every answer; `override`: it replaces the origin's header of that name. */
export interface PolicyHeader {
  name: string;
  value: string;
  override: boolean;
}

/** `ResponseHeadersPolicyConfig.SecurityHeadersConfig` as CloudFormation spells it. */
export interface SecurityHeadersConfig {
  ContentSecurityPolicy?: { ContentSecurityPolicy?: string; Override?: boolean | string };
  ContentTypeOptions?: { Override?: boolean | string };
  FrameOptions?: { FrameOption?: string; Override?: boolean | string };
  ReferrerPolicy?: { ReferrerPolicy?: string; Override?: boolean | string };
  StrictTransportSecurity?: { AccessControlMaxAgeSec?: number | string; IncludeSubdomains?: boolean | string; Preload?: boolean | string; Override?: boolean | string };
  XSSProtection?: { Protection?: boolean | string; ModeBlock?: boolean | string; ReportUri?: string; Override?: boolean | string };
}

/** `ResponseHeadersPolicyConfig.CustomHeadersConfig`. */
export interface CustomHeadersConfig {
  Items?: Array<{ Header?: string; Value?: string; Override?: boolean | string }>;
}

const isTrue = (value: boolean | string | undefined): boolean => value === true || value === 'true';

/** The headers CloudFront writes for a policy's security headers, in the form it writes them. */
export function securityHeadersOf(config: SecurityHeadersConfig | undefined): PolicyHeader[] {
  if (config === undefined) return [];
  const headers: PolicyHeader[] = [];
  const add = (name: string, value: string, override: boolean | string | undefined) => headers.push({ name, value, override: isTrue(override) });
  const { ContentSecurityPolicy, ContentTypeOptions, FrameOptions, ReferrerPolicy, StrictTransportSecurity, XSSProtection } = config;
  if (ContentSecurityPolicy?.ContentSecurityPolicy !== undefined) add('content-security-policy', ContentSecurityPolicy.ContentSecurityPolicy, ContentSecurityPolicy.Override);
  if (ContentTypeOptions !== undefined) add('x-content-type-options', 'nosniff', ContentTypeOptions.Override);
  if (FrameOptions?.FrameOption !== undefined) add('x-frame-options', FrameOptions.FrameOption, FrameOptions.Override);
  if (ReferrerPolicy?.ReferrerPolicy !== undefined) add('referrer-policy', ReferrerPolicy.ReferrerPolicy, ReferrerPolicy.Override);
  if (StrictTransportSecurity?.AccessControlMaxAgeSec !== undefined) {
    const value = [`max-age=${Number(StrictTransportSecurity.AccessControlMaxAgeSec)}`];
    if (isTrue(StrictTransportSecurity.IncludeSubdomains)) value.push('includeSubDomains');
    if (isTrue(StrictTransportSecurity.Preload)) value.push('preload');
    add('strict-transport-security', value.join('; '), StrictTransportSecurity.Override);
  }
  if (XSSProtection !== undefined) {
    let value = isTrue(XSSProtection.Protection) ? '1' : '0';
    if (isTrue(XSSProtection.Protection) && isTrue(XSSProtection.ModeBlock)) value += '; mode=block';
    else if (isTrue(XSSProtection.Protection) && XSSProtection.ReportUri !== undefined) value += `; report=${XSSProtection.ReportUri}`;
    add('x-xss-protection', value, XSSProtection.Override);
  }
  return headers;
}

/** A policy's custom headers. */
export function customHeadersOf(config: CustomHeadersConfig | undefined): PolicyHeader[] {
  return (config?.Items ?? []).flatMap((item) => (item.Header === undefined || item.Value === undefined ? [] : [{ name: item.Header.toLowerCase(), value: item.Value, override: isTrue(item.Override) }]));
}

/**
 * Writes a behaviour's policy headers onto an answer whose own headers are set: a header the
 * origin already sent stays unless the policy overrides it, as CloudFront applies the policy.
 */
export function writePolicyHeaders(headers: readonly PolicyHeader[], response: ServerResponse): void {
  for (const header of headers) {
    if (!header.override && response.hasHeader(header.name)) continue;
    response.setHeader(header.name, header.value);
  }
}
