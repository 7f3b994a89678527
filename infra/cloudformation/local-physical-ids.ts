import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** What `Ref` and `Fn::GetAtt` give for one resource of the locally "deployed" stack. */
interface LocalPhysicalResource {
  ref: string;
  attributes: Record<string, string>;
}

interface LocalAccount {
  accountId: string;
  region: string;
  stackName: string;
}

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/**
 * Names every resource of the template as CloudFormation would on deployment: deterministic
 * names where AWS derives them from the stack and logical id, and random ids (identity pools,
 * keys) that are kept in `rememberedIds` so identities and objects survive a restart.
 */
export function assignLocalPhysicalIds(
  resources: Record<string, TemplateResource>,
  account: LocalAccount,
  rememberedIds: Record<string, string>,
): Map<string, LocalPhysicalResource> {
  const { accountId, region, stackName } = account;
  const assigned = new Map<string, LocalPhysicalResource>();
  const remembered = (logicalId: string, create: () => string): string => (rememberedIds[logicalId] ??= create());

  for (const [logicalId, resource] of Object.entries(resources)) {
    const givenName = (property: string): string | undefined => {
      const value = resource.Properties?.[property];
      return typeof value === 'string' ? value : undefined;
    };
    switch (resource.Type) {
      case 'AWS::S3::Bucket': {
        const name = givenName('BucketName') ?? generatedName(stackName, logicalId, 63).toLowerCase();
        assigned.set(logicalId, {
          ref: name,
          attributes: {
            Arn: `arn:aws:s3:::${name}`,
            DomainName: `${name}.s3.amazonaws.com`,
            RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
          },
        });
        break;
      }
      case 'AWS::IAM::Role': {
        const name = givenName('RoleName') ?? generatedName(stackName, logicalId, 64);
        assigned.set(logicalId, {
          ref: name,
          attributes: { Arn: `arn:aws:iam::${accountId}:role/${name}`, RoleId: `AROA${stableSuffix(`${stackName}/${logicalId}`, 17)}` },
        });
        break;
      }
      case 'AWS::Cognito::IdentityPool': {
        const id = remembered(logicalId, () => `${region}:${randomUUID()}`);
        assigned.set(logicalId, { ref: id, attributes: { Name: givenName('IdentityPoolName') ?? logicalId, Id: id } });
        break;
      }
      case 'AWS::KMS::Key': {
        const id = remembered(logicalId, () => randomUUID());
        assigned.set(logicalId, { ref: id, attributes: { Arn: `arn:aws:kms:${region}:${accountId}:key/${id}`, KeyId: id } });
        break;
      }
      case 'AWS::Lambda::Function': {
        const name = givenName('FunctionName') ?? generatedName(stackName, logicalId, 64);
        assigned.set(logicalId, { ref: name, attributes: { Arn: `arn:aws:lambda:${region}:${accountId}:function:${name}` } });
        break;
      }
      case 'AWS::Logs::LogGroup': {
        const name = givenName('LogGroupName') ?? `/local/${generatedName(stackName, logicalId, 200)}`;
        assigned.set(logicalId, { ref: name, attributes: { Arn: `arn:aws:logs:${region}:${accountId}:log-group:${name}:*` } });
        break;
      }
      case 'AWS::SecretsManager::Secret': {
        const name = givenName('Name') ?? generatedName(stackName, logicalId, 200);
        const arn = `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${stableSuffix(name, 6)}`;
        assigned.set(logicalId, { ref: arn, attributes: { Id: arn } });
        break;
      }
      case 'AWS::ApiGatewayV2::Api': {
        const id = remembered(logicalId, () => stableSuffix(randomUUID(), 10).toLowerCase());
        assigned.set(logicalId, { ref: id, attributes: { ApiEndpoint: `https://${id}.execute-api.${region}.amazonaws.com`, ApiId: id } });
        break;
      }
      case 'AWS::CloudFront::Distribution': {
        const id = remembered(logicalId, () => cloudFrontId('E'));
        assigned.set(logicalId, { ref: id, attributes: { Id: id, DomainName: `${remembered(`${logicalId}.DomainName`, () => `d${stableSuffix(randomUUID(), 13).toLowerCase()}`)}.cloudfront.net` } });
        break;
      }
      case 'AWS::CloudFront::PublicKey': {
        const id = remembered(logicalId, () => cloudFrontId('K'));
        assigned.set(logicalId, { ref: id, attributes: { Id: id } });
        break;
      }
      case 'AWS::CloudFront::OriginAccessControl': {
        const id = remembered(logicalId, () => cloudFrontId('E'));
        assigned.set(logicalId, { ref: id, attributes: { Id: id } });
        break;
      }
      case 'AWS::CloudFront::KeyGroup':
      case 'AWS::CloudFront::CachePolicy':
      case 'AWS::CloudFront::ResponseHeadersPolicy':
      case 'AWS::CloudFront::OriginRequestPolicy': {
        const id = remembered(logicalId, () => randomUUID());
        assigned.set(logicalId, { ref: id, attributes: { Id: id } });
        break;
      }
      case 'Custom::CloudFrontKeyPair': {
        // The key pair custom resource's attributes. The local cloud replaces both with its own key
        // pair (read-local-deployment.ts); the admin tools only need them to resolve references.
        const prefix = givenName('SecretNamePrefix') ?? logicalId;
        assigned.set(logicalId, {
          ref: generatedName(stackName, logicalId, 128),
          attributes: { SecretArn: `arn:aws:secretsmanager:${region}:${accountId}:secret:${prefix}-${stableSuffix(`${stackName}/${logicalId}`, 6)}`, PublicKeyPem: STAND_IN_PUBLIC_KEY_PEM },
        });
        break;
      }
      default:
        assigned.set(logicalId, { ref: givenName('PolicyName') ?? generatedName(stackName, logicalId, 128), attributes: {} });
    }
  }
  return assigned;
}

/** Stands for a key pair's public key where no real key exists (the admin tools never verify with it). */
const STAND_IN_PUBLIC_KEY_PEM = '-----BEGIN PUBLIC KEY-----\nstand-in: the key pair custom resource creates the real key on deployment\n-----END PUBLIC KEY-----\n';

const CLOUDFRONT_ID_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** CloudFront's ids: a type letter (`E` distributions and access controls, `K` public keys) and 13 upper-case letters or digits. */
function cloudFrontId(letter: 'E' | 'K'): string {
  const bytes = randomBytes(13);
  return letter + [...bytes].map((byte) => CLOUDFRONT_ID_CHARACTERS[byte % CLOUDFRONT_ID_CHARACTERS.length]).join('');
}

/** CloudFormation's style of generated names: stack name, logical id and a short hash. */
function generatedName(stackName: string, logicalId: string, maxLength: number): string {
  const suffix = stableSuffix(`${stackName}/${logicalId}`, 12);
  return `${stackName}-${logicalId}`.slice(0, maxLength - suffix.length - 1) + `-${suffix}`;
}

function stableSuffix(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').toUpperCase().slice(0, length);
}
