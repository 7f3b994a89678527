import { InputReader, type MapConstraints, type StringConstraints } from './input-reader.ts';

// Constraints from the Cognito Identity API reference.
const IDENTITY_POOL_ID: StringConstraints = { min: 1, max: 55, pattern: '[\\w-]+:[0-9a-f-]+' };
const IDENTITY_ID: StringConstraints = { min: 1, max: 55, pattern: '[\\w-]+:[0-9a-f-]+' };
const ACCOUNT_ID: StringConstraints = { min: 1, max: 15, pattern: '\\d+' };
const DEVELOPER_PROVIDER_NAME: StringConstraints = { min: 1, max: 128, pattern: '[\\w._-]+' };
const DEVELOPER_USER_IDENTIFIER: StringConstraints = { min: 1, max: 1024 };
const NEXT_TOKEN: StringConstraints = { min: 1, max: 65535, pattern: '[\\S]+' };
const CUSTOM_ROLE_ARN: StringConstraints = { min: 20, max: 2048 };
const LOGINS: MapConstraints = { maxEntries: 10, key: { min: 1, max: 128 }, value: { min: 1, max: 50000 }, sensitive: true };
/** Principal tags become STS session tags, so STS's tag character rules apply to them too. */
const TAG_CHARACTERS = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*';
const PRINCIPAL_TAGS: MapConstraints = {
  maxEntries: 50,
  key: { min: 1, max: 128, pattern: TAG_CHARACTERS },
  value: { min: 1, max: 256, pattern: TAG_CHARACTERS },
};
export const MAX_TOKEN_DURATION_SECONDS = 86_400;

export interface GetIdInput {
  AccountId?: string;
  IdentityPoolId: string;
  Logins?: Record<string, string>;
}
export interface GetOpenIdTokenInput {
  IdentityId: string;
  Logins?: Record<string, string>;
}
export interface GetOpenIdTokenForDeveloperIdentityInput {
  IdentityPoolId: string;
  IdentityId?: string;
  Logins: Record<string, string>;
  PrincipalTags?: Record<string, string>;
  TokenDuration?: number;
}
export interface GetCredentialsForIdentityInput {
  IdentityId: string;
  Logins?: Record<string, string>;
  CustomRoleArn?: string;
}
export interface LookupDeveloperIdentityInput {
  IdentityPoolId: string;
  IdentityId?: string;
  DeveloperUserIdentifier?: string;
  MaxResults?: number;
  NextToken?: string;
}
export interface MergeDeveloperIdentitiesInput {
  SourceUserIdentifier: string;
  DestinationUserIdentifier: string;
  DeveloperProviderName: string;
  IdentityPoolId: string;
}
export interface UnlinkDeveloperIdentityInput {
  IdentityId: string;
  IdentityPoolId: string;
  DeveloperProviderName: string;
  DeveloperUserIdentifier: string;
}
export interface DeleteIdentitiesInput {
  IdentityIdsToDelete: string[];
}
export interface DescribeIdentityInput {
  IdentityId: string;
}

/** One parser per supported operation: the request object in, a validated typed input out. */
export const operationInputParsers = {
  GetId: (input): GetIdInput =>
    read(input, (reader) => ({
      AccountId: reader.optionalString('AccountId', ACCOUNT_ID),
      IdentityPoolId: reader.requiredString('IdentityPoolId', IDENTITY_POOL_ID),
      Logins: reader.optionalStringMap('Logins', LOGINS),
    })),
  GetOpenIdToken: (input): GetOpenIdTokenInput =>
    read(input, (reader) => ({
      IdentityId: reader.requiredString('IdentityId', IDENTITY_ID),
      Logins: reader.optionalStringMap('Logins', LOGINS),
    })),
  GetOpenIdTokenForDeveloperIdentity: (input): GetOpenIdTokenForDeveloperIdentityInput =>
    read(input, (reader) => {
      const principalTags = reader.optionalStringMap('PrincipalTags', PRINCIPAL_TAGS);
      for (const key of Object.keys(principalTags ?? {})) {
        if (key.toLowerCase().startsWith('aws:')) reader.violation(`Principal tag key '${key}' uses the reserved prefix 'aws:'`);
      }
      return {
        IdentityPoolId: reader.requiredString('IdentityPoolId', IDENTITY_POOL_ID),
        IdentityId: reader.optionalString('IdentityId', IDENTITY_ID),
        Logins: reader.requiredStringMap('Logins', LOGINS),
        PrincipalTags: principalTags,
        TokenDuration: reader.optionalInteger('TokenDuration', { min: 1, max: MAX_TOKEN_DURATION_SECONDS }),
      };
    }),
  GetCredentialsForIdentity: (input): GetCredentialsForIdentityInput =>
    read(input, (reader) => ({
      IdentityId: reader.requiredString('IdentityId', IDENTITY_ID),
      Logins: reader.optionalStringMap('Logins', LOGINS),
      CustomRoleArn: reader.optionalString('CustomRoleArn', CUSTOM_ROLE_ARN),
    })),
  LookupDeveloperIdentity: (input): LookupDeveloperIdentityInput =>
    read(input, (reader) => {
      const parsed = {
        IdentityPoolId: reader.requiredString('IdentityPoolId', IDENTITY_POOL_ID),
        IdentityId: reader.optionalString('IdentityId', IDENTITY_ID),
        DeveloperUserIdentifier: reader.optionalString('DeveloperUserIdentifier', DEVELOPER_USER_IDENTIFIER),
        MaxResults: reader.optionalInteger('MaxResults', { min: 1, max: 60 }),
        NextToken: reader.optionalString('NextToken', NEXT_TOKEN),
      };
      if (parsed.IdentityId === undefined && parsed.DeveloperUserIdentifier === undefined) {
        reader.violation('Either IdentityId or DeveloperUserIdentifier must be given');
      }
      return parsed;
    }),
  MergeDeveloperIdentities: (input): MergeDeveloperIdentitiesInput =>
    read(input, (reader) => ({
      SourceUserIdentifier: reader.requiredString('SourceUserIdentifier', DEVELOPER_USER_IDENTIFIER),
      DestinationUserIdentifier: reader.requiredString('DestinationUserIdentifier', DEVELOPER_USER_IDENTIFIER),
      DeveloperProviderName: reader.requiredString('DeveloperProviderName', DEVELOPER_PROVIDER_NAME),
      IdentityPoolId: reader.requiredString('IdentityPoolId', IDENTITY_POOL_ID),
    })),
  UnlinkDeveloperIdentity: (input): UnlinkDeveloperIdentityInput =>
    read(input, (reader) => ({
      IdentityId: reader.requiredString('IdentityId', IDENTITY_ID),
      IdentityPoolId: reader.requiredString('IdentityPoolId', IDENTITY_POOL_ID),
      DeveloperProviderName: reader.requiredString('DeveloperProviderName', DEVELOPER_PROVIDER_NAME),
      DeveloperUserIdentifier: reader.requiredString('DeveloperUserIdentifier', DEVELOPER_USER_IDENTIFIER),
    })),
  DeleteIdentities: (input): DeleteIdentitiesInput =>
    read(input, (reader) => ({
      IdentityIdsToDelete: reader.requiredStringList('IdentityIdsToDelete', { minItems: 1, maxItems: 60, item: IDENTITY_ID }),
    })),
  DescribeIdentity: (input): DescribeIdentityInput =>
    read(input, (reader) => ({ IdentityId: reader.requiredString('IdentityId', IDENTITY_ID) })),
} satisfies Record<string, (input: Record<string, unknown>) => unknown>;

export type OperationName = keyof typeof operationInputParsers;
export type OperationInput<Name extends OperationName> = ReturnType<(typeof operationInputParsers)[Name]>;

export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(operationInputParsers, name);
}

function read<T>(input: Record<string, unknown>, parse: (reader: InputReader) => T): T {
  const reader = new InputReader(input);
  const parsed = parse(reader);
  reader.finish();
  return withoutUndefined(parsed);
}

function withoutUndefined<T>(value: T): T {
  return Object.fromEntries(Object.entries(value as object).filter(([, member]) => member !== undefined)) as T;
}
