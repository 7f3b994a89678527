import { ArnFormat, Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, type Function as LambdaFunction, type FunctionOptions } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundledLambdaFunction } from '../bundled-lambda-function.ts';
import { CDN_KEY_PAIR_LAMBDA_ENTRY, CDN_KEY_PAIR_LAMBDA_HANDLER, prebuiltCdnKeyPairLambdaDirectory } from './cdn-key-pair-lambda-bundle.ts';

export interface CdnKeyPairFunctionProps {
  /** Every secret the function creates is named `<secretNamePrefix>-<8 hex>`; its role reaches only those. */
  readonly secretNamePrefix: string;
}

/**
 * The Lambda behind the `Custom::CloudFrontKeyPair` resources, bundled with esbuild as the token
 * service is. Its role may create, read (for updates) and delete only the key pair secrets.
 */
export class CdnKeyPairFunction extends Construct {
  readonly function: LambdaFunction;

  constructor(scope: Construct, id: string, props: CdnKeyPairFunctionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'CDN key pair custom resource: creates, reads and deletes its own key pair secrets, writes its logs.',
    });
    const secretsOfThisStack = stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${props.secretNamePrefix}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    role.addToPolicy(new PolicyStatement({ sid: 'KeyPairSecrets', actions: ['secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:DeleteSecret'], resources: [secretsOfThisStack] }));
    role.addToPolicy(new PolicyStatement({ sid: 'OwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    Validations.of(role.node.findChild('DefaultPolicy').node.defaultChild as CfnElement).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${props.secretNamePrefix}-*]`,
      reason: 'The function names each key pair secret with a random suffix (a deleted one stays reserved through its recovery window), so the role reaches the secrets by their fixed name prefix only.',
    });

    const options: FunctionOptions & { runtime: Runtime } = {
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.minutes(1),
      role,
      logGroup,
      description: 'Creates the CloudFront key pairs of the CDN; the private keys live only in Secrets Manager.',
    };
    this.function = bundledLambdaFunction(this, 'Function', {
      ...options,
      entry: CDN_KEY_PAIR_LAMBDA_ENTRY,
      prebuiltDirectory: prebuiltCdnKeyPairLambdaDirectory(),
      prebuiltHandler: CDN_KEY_PAIR_LAMBDA_HANDLER,
      sourceMap: false,
    });
  }
}
