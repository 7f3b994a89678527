import type { ServerResponse } from 'node:http';

export function sendXml(response: ServerResponse, body: string, status = 200): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/xml');
  response.setHeader('content-length', Buffer.byteLength(body));
  response.end(body);
}

export function sendEmpty(response: ServerResponse, status: number): void {
  response.statusCode = status;
  response.setHeader('content-length', 0);
  response.end();
}
