/**
 * Under Node 20 the AWS SDK prints a 9-line notice ("versions published after the first week of
 * January 2027 will require node >=22") once per process, burying what each command prints. Until
 * the project moves to Node 24, every entry point calls this before it creates an SDK client: it
 * sets the SDK's own switch for exactly that notice (other warnings still show), unless the user
 * set it already.
 */
export function silenceSdkNodeVersionWarning(environment: NodeJS.ProcessEnv = process.env): void {
  environment.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
