import { LocalStorageResumeStore, ScopedStorageClient, type StorageOutputs } from '../library/index.ts';
import { friendlyError } from './friendly-error.ts';

interface PageConfig {
  outputs: StorageOutputs;
}

const SESSION_KEY = 'scoped-storage-session';
const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let client: ScopedStorageClient | undefined;
let config: PageConfig;

function showMessage(text: string, kind: 'info' | 'error' = 'info'): void {
  const box = element('message');
  box.textContent = text;
  box.className = kind;
  box.hidden = false;
  window.clearTimeout(Number(box.dataset.timer));
  box.dataset.timer = String(window.setTimeout(() => (box.hidden = true), kind === 'error' ? 8000 : 4000));
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

async function signIn(user: string, tenant: string): Promise<void> {
  const response = await fetch(`${config.outputs.tokenServiceUrl}/v1/dev/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, ...(tenant ? { tenant } : {}) }),
  });
  const body = (await response.json().catch(() => ({}))) as { sessionToken?: string; error?: { message?: string } };
  if (!response.ok || !body.sessionToken) throw new Error(body.error?.message ?? `sign-in failed (HTTP ${response.status})`);
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ user, sessionToken: body.sessionToken }));
  await openStorage();
}

async function openStorage(): Promise<void> {
  const saved = sessionStorage.getItem(SESSION_KEY);
  if (!saved) return;
  const session = JSON.parse(saved) as { user: string; sessionToken: string };
  client = new ScopedStorageClient({ outputs: config.outputs, getSessionToken: () => session.sessionToken, resumeStore: new LocalStorageResumeStore(localStorage) });
  try {
    const identity = await client.whoami();
    element('identity-user').textContent = session.user;
    element('identity-id').textContent = identity.identityId;
    element('credentials-expiry').textContent = identity.credentialsExpireAt.toLocaleTimeString();
    element('credentials-expiry').setAttribute('datetime', identity.credentialsExpireAt.toISOString());
    element('sign-in').hidden = true;
    element('storage').hidden = false;
    await refreshList();
  } catch (error) {
    signOut();
    showMessage(friendlyError(error), 'error');
  }
}

function signOut(): void {
  sessionStorage.removeItem(SESSION_KEY);
  client = undefined;
  element('sign-in').hidden = false;
  element('storage').hidden = true;
  element('file-rows').replaceChildren();
}

async function refreshList(): Promise<void> {
  if (!client) return;
  const rows: HTMLTableRowElement[] = [];
  for await (const object of client.list()) {
    const row = document.createElement('tr');
    row.dataset.key = object.key;
    const name = document.createElement('td');
    name.className = 'name';
    name.textContent = object.key;
    const size = document.createElement('td');
    size.textContent = formatSize(object.size);
    const modified = document.createElement('td');
    modified.textContent = object.lastModified.toLocaleString();
    const actions = document.createElement('td');
    actions.className = 'actions';
    actions.append(
      actionButton('Download', 'download', () => download(object.key)),
      actionButton('Share link', 'share', () => share(object.key)),
      actionButton('Delete', 'delete', () => remove(object.key)),
    );
    row.append(name, size, modified, actions);
    rows.push(row);
  }
  element('file-rows').replaceChildren(...rows);
  element('empty').hidden = rows.length > 0;
  const identity = await client.whoami();
  element('credentials-expiry').textContent = identity.credentialsExpireAt.toLocaleTimeString();
}

function actionButton(label: string, action: string, onClick: () => Promise<void>): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = label;
  button.dataset.action = action;
  button.addEventListener('click', () => onClick().catch((error: unknown) => showMessage(friendlyError(error), 'error')));
  return button;
}

async function upload(file: File): Promise<void> {
  if (!client) return;
  const item = document.createElement('li');
  item.dataset.file = file.name;
  const label = document.createElement('span');
  label.textContent = file.name;
  const bar = document.createElement('progress');
  bar.max = Math.max(file.size, 1);
  bar.value = 0;
  const status = document.createElement('span');
  status.className = 'status';
  status.textContent = '0%';
  item.append(label, bar, status);
  element('uploads').append(item);
  try {
    await client.upload(file.name, file, {
      contentType: file.type || undefined,
      onProgress: ({ loadedBytes, totalBytes }) => {
        bar.max = Math.max(totalBytes, 1);
        bar.value = loadedBytes;
        status.textContent = `${Math.floor((loadedBytes / Math.max(totalBytes, 1)) * 100)}%`;
      },
    });
    status.textContent = 'done';
    item.dataset.state = 'done';
    await refreshList();
  } catch (error) {
    status.textContent = 'failed';
    item.dataset.state = 'failed';
    showMessage(`${file.name}: ${friendlyError(error)}`, 'error');
  }
}

async function download(key: string): Promise<void> {
  if (!client) return;
  const result = await client.download(key);
  const blob = await new Response(result.body).blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = key.split('/').pop() ?? key;
  link.dataset.downloadedKey = key;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

async function share(key: string): Promise<void> {
  if (!client) return;
  const link = await client.share(key, { expiresInSeconds: 3600 });
  document.body.dataset.lastShareLink = link.url;
  await navigator.clipboard?.writeText(link.url).catch(() => undefined);
  const until = link.expiresAt.toLocaleTimeString();
  showMessage(link.cappedByCredentials ? `Link copied. It works until ${until}, when the credentials that signed it expire.` : `Link copied. It works until ${until}.`);
}

async function remove(key: string): Promise<void> {
  if (!client) return;
  await client.remove(key);
  showMessage(`Deleted ${key}.`);
  await refreshList();
}

async function start(): Promise<void> {
  config = (await (await fetch('/config.json')).json()) as PageConfig;
  element<HTMLFormElement>('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const user = element<HTMLInputElement>('user').value.trim();
    const tenant = element<HTMLInputElement>('tenant').value.trim();
    signIn(user, tenant).catch((error: unknown) => showMessage(`Sign-in failed: ${(error as Error).message}`, 'error'));
  });
  element('sign-out-button').addEventListener('click', signOut);
  const input = element<HTMLInputElement>('file-input');
  input.addEventListener('change', () => {
    for (const file of input.files ?? []) void upload(file);
    input.value = '';
  });
  const zone = element('drop-zone');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('active');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('active'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('active');
    for (const file of event.dataTransfer?.files ?? []) void upload(file);
  });
  await openStorage();
  document.body.dataset.ready = 'true';
}

start().catch((error: unknown) => showMessage(`The page could not start: ${(error as Error).message}`, 'error'));
