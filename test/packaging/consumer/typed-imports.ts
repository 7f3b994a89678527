// Type-checked (tsc --noEmit) in a fresh project that installed the packed tarball: the declarations
// of every entry point resolve, and they are real types, not `any` (each @ts-expect-error must fail).
import { App, Stack } from 'aws-cdk-lib';
import { ScopedStorage, type AccessRule, type ScopedStorageProps } from 'scoped-s3-storage/cdk';
import { ScopedStorageClient, StorageError, type StorageOutputs, type UploadResult } from 'scoped-s3-storage/client';
import { createNodeStorageClient, downloadToFile } from 'scoped-s3-storage/client/node';
import { createTokenServiceApp, type Authenticator, type TokenServiceAppOptions } from 'scoped-s3-storage/token-service';

const outputs: StorageOutputs = { region: 'eu-west-1', bucket: 'b', identityPoolId: 'p', developerProviderName: 'd', tokenServiceUrl: 'https://t' };
const client = new ScopedStorageClient({ outputs, getSessionToken: async () => 'session' });
export const uploaded: Promise<UploadResult> = client.upload('a.txt', 'text');
// @ts-expect-error the key is a string
export const wrongKey = client.upload(42, 'text');
export const nodeClient: Promise<ScopedStorageClient> = createNodeStorageClient('outputs.json', { getSessionToken: () => 'session' });
export const written: Promise<{ bytes: number }> = downloadToFile(client, 'a.txt', 'a-copy.txt');
export const errorCode = (error: unknown) => (error instanceof StorageError ? error.code : undefined);

const rules: AccessRule[] = [];
const props: ScopedStorageProps = { allowedOrigins: ['https://app.example.com'], accessRules: rules };
export const storage = new ScopedStorage(new Stack(new App(), 'S'), 'Storage', props);
// @ts-expect-error allowedOrigins is a list
export const wrongProps: ScopedStorageProps = { allowedOrigins: 'https://app.example.com' };

export const makeApp = (options: TokenServiceAppOptions) => createTokenServiceApp(options);
export const authenticator: Authenticator = { authenticate: async () => ({ userId: 'u', claims: {} }) };
