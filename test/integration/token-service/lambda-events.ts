import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { TOKEN_SERVICE_EXTERNAL_MODULES, TOKEN_SERVICE_MAIN_FIELDS, TOKEN_SERVICE_LAMBDA_TARGET } from '../../../infra/construct/token-service-lambda-bundle.ts';
import type { ApiGatewayV2Event } from '../../../token-service/adapters/lambda-handler.ts';

const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const LAMBDA_ENTRY = join(REPOSITORY_ROOT, 'token-service/adapters/lambda-handler.ts');

/** An API Gateway HTTP API (payload 2.0) event as API Gateway would send it; `iam` marks an IAM-authorized route. */
export function apiGatewayEvent(method: string, path: string, options: { headers?: Record<string, string>; body?: string; iam?: boolean } = {}): ApiGatewayV2Event {
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: Object.fromEntries(Object.entries({ host: 'abc123.execute-api.us-east-1.amazonaws.com', ...options.headers }).map(([name, value]) => [name.toLowerCase(), value])),
    body: options.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc123',
      authentication: null,
      authorizer: options.iam
        ? {
            iam: {
              accessKey: 'ASIAADMINBACKEND0000',
              accountId: '000000000000',
              callerId: 'AROAADMIN:backend',
              cognitoIdentity: null,
              principalOrgId: null,
              userArn: 'arn:aws:sts::000000000000:assumed-role/Backend/backend',
              userId: 'AROAADMIN:backend',
            },
          }
        : {},
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' },
      requestId: `req-${now}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
  };
}

/**
 * Bundles the Lambda entry point as the stack does (ESM, minified, the AWS SDK's clients left to
 * the runtime) into a folder below node_modules, so the SDK imports resolve when it is loaded.
 */
export async function bundleLambdaHandler(): Promise<{ path: string; code: string }> {
  const cache = join(REPOSITORY_ROOT, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  const path = join(await mkdtemp(join(cache, 'token-service-lambda-')), 'index.mjs');
  const result = await build({
    entryPoints: [LAMBDA_ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: TOKEN_SERVICE_LAMBDA_TARGET,
    minify: true,
    external: [...TOKEN_SERVICE_EXTERNAL_MODULES],
    mainFields: [...TOKEN_SERVICE_MAIN_FIELDS],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  await writeFile(path, code);
  return { path, code };
}
