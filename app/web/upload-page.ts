import { formatSize } from './display-format.ts';
import { element } from './page-elements.ts';
import { readUploadAddress, uploadsIntoDeployment, type UploadAddressLink, type UploadDeployment } from './upload-address.ts';

/**
 * The one-page uploader: everything it needs is the link in its address's fragment. No sign-in,
 * no SDK: one `fetch` PUT with exactly the headers signed into the link. S3 decides; this page only
 * puts its answers into words (a second use is S3's own 412 for `If-None-Match: *`).
 */

type UploadState = 'ready' | 'uploading' | 'done' | 'used' | 'expired' | 'refused' | 'failed' | 'damaged';

const ALREADY_USED = 'This link has already been used. Ask the person who sent it for a new one.';
const EXPIRED = 'This link has expired. Ask the person who sent it for a new one.';

function show(state: UploadState, text: string): void {
  document.body.dataset.state = state;
  element('upload-status').textContent = text;
  element('upload-status').className = ['used', 'expired', 'refused', 'failed', 'damaged'].includes(state) ? 'list-error' : '';
  element('upload-progress').hidden = state !== 'uploading';
  const finished = state !== 'ready' && state !== 'failed' && state !== 'refused';
  element<HTMLInputElement>('upload-file').disabled = finished;
  element<HTMLButtonElement>('upload-button').disabled = finished;
}

function describe(link: UploadAddressLink): string {
  const type = link.contentType ? `, of type ${link.contentType}` : '';
  const until = new Date(link.expiresAt).toLocaleString();
  return `One file, at most ${formatSize(link.maxBytes)}${type}. This address works once, until ${until}, and sends the file to ${new URL(link.url).host}.`;
}

/** The `<Code>` and `<Message>` of S3's XML error. */
function s3Error(body: string): { code: string; message: string } {
  const document = new DOMParser().parseFromString(body, 'application/xml');
  return { code: document.querySelector('Error > Code')?.textContent ?? '', message: document.querySelector('Error > Message')?.textContent ?? '' };
}

async function answerOf(response: Response): Promise<[UploadState, string]> {
  if (response.ok) return ['done', ''];
  const { code, message } = s3Error(await response.text().catch(() => ''));
  if (response.status === 412 || code === 'PreconditionFailed') return ['used', ALREADY_USED];
  if (response.status === 403 && /expired/i.test(message)) return ['expired', EXPIRED];
  if (code === 'EntityTooLarge') return ['refused', 'The file is larger than this link allows.'];
  return ['failed', `The storage service refused the upload (${code || `HTTP ${response.status}`}${message ? `: ${message}` : ''}).`];
}

async function upload(link: UploadAddressLink, file: File): Promise<void> {
  if (Date.now() >= Date.parse(link.expiresAt)) return show('expired', EXPIRED);
  if (file.size > link.maxBytes) return show('refused', `${file.name} is ${formatSize(file.size)}; this link takes at most ${formatSize(link.maxBytes)}. Choose a smaller file.`);
  if (link.contentType && file.type !== link.contentType) return show('refused', `This link takes ${link.contentType} files only, and ${file.name} is ${file.type || 'of an unknown type'}. Choose another file.`);
  show('uploading', `Uploading ${file.name} (${formatSize(file.size)})…`);
  let response: Response;
  try {
    response = await fetch(link.url, { method: 'PUT', headers: link.headers, body: file });
  } catch {
    return show('failed', 'The storage service could not be reached. Check your connection and try again.');
  }
  const [state, text] = await answerOf(response);
  show(state, state === 'done' ? `Uploaded ${file.name} (${formatSize(file.size)}). Thank you: you can close this page.` : text);
}

/** This page's deployment, from the same `/config.json` the storage browser reads. */
async function readDeployment(): Promise<UploadDeployment> {
  const response = await fetch('/config.json');
  if (!response.ok) throw new Error(`The uploader is not ready (HTTP ${response.status}). Try again in a moment.`);
  const { outputs } = (await response.json()) as { outputs: { bucket: string; region: string; endpoints?: { s3?: string } } };
  return { bucket: outputs.bucket, region: outputs.region, ...(outputs.endpoints?.s3 ? { s3Endpoint: outputs.endpoints.s3 } : {}) };
}

async function start(): Promise<void> {
  let link: UploadAddressLink;
  try {
    link = readUploadAddress(window.location.hash);
    if (!uploadsIntoDeployment(link, await readDeployment())) {
      throw new Error(`This address would send your file to ${new URL(link.url).host}, which is not this app's storage.`);
    }
  } catch (error) {
    element('upload-terms').textContent = '';
    show('damaged', `${(error as Error).message} Copy the whole address you were sent, or ask for a new one.`);
    return;
  }
  element('upload-terms').textContent = describe(link);
  if (link.contentType) element<HTMLInputElement>('upload-file').accept = link.contentType;
  show('ready', '');
  element<HTMLFormElement>('upload-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const file = element<HTMLInputElement>('upload-file').files?.[0];
    if (file) void upload(link, file);
  });
  if (Date.now() >= Date.parse(link.expiresAt)) show('expired', EXPIRED);
}

void start().finally(() => {
  document.body.dataset.ready = 'true';
});
