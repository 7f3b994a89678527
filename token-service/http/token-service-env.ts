/** What the platform hands the app with each request: API Gateway's request context on Lambda, nothing the app reads on Node. */
export interface PlatformBindings {
  requestContext?: { authorizer?: { iam?: unknown } | null };
}

/** Per-request values the routes leave for the request log. */
interface RequestLogVariables {
  userId?: string;
  errorCode?: string;
  failureDetail?: string;
}

export type TokenServiceEnv = { Bindings: PlatformBindings; Variables: RequestLogVariables };
