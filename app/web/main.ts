import { LocalStorageResumeStore, ScopedStorageClient, StorageError } from '../library/index.ts';
import { requestDevelopmentSession } from './development-sign-in.ts';
import { wireAddressDialog } from './address-dialog.ts';
import { CdnCookieSession } from './cdn-cookie-session.ts';
import { DetailsPanel } from './details-panel.ts';
import { downloadWithProgress } from './download-list.ts';
import { FolderView } from './folder-view.ts';
import { friendlyError } from './friendly-error.ts';
import { loadPageConfig, readPageTuning, type PageConfig } from './page-config.ts';
import { element } from './page-elements.ts';
import { showMessage } from './page-message.ts';
import { forgetGuestIdentityId, forgetSession, readGuestIdentityId, readSavedSession, saveGuestIdentityId, saveSession } from './saved-session.ts';
import { PhotoGrid } from './photo-grid.ts';
import { Publisher } from './publish-action.ts';
import { RequestFilesDialog } from './request-files-dialog.ts';
import { ShareDialog } from './share-dialog.ts';
import { UploadQueue } from './upload-queue.ts';

const tuning = readPageTuning(window.location.search);
let config: PageConfig;
let client: ScopedStorageClient | undefined;

const currentClient = (): ScopedStorageClient => {
  if (!client) throw new StorageError('SignInRequired', 'Sign in first.');
  return client;
};

function report(error: unknown): void {
  showMessage(friendlyError(error), 'error');
  if (error instanceof StorageError && error.code === 'NotFound') void folders.refresh();
}

const cdnUrl = (): string | undefined => config?.outputs.cdnUrl;
/** CDN links and cookies are signed for a signed-in session only; guests get neither. */
const signedInWithCdn = (): boolean => cdnUrl() !== undefined && readSavedSession()?.kind === 'user';
const details = new DetailsPanel(currentClient, signedInWithCdn);
const share = new ShareDialog(currentClient);
const requestFiles = new RequestFilesDialog(currentClient);
const publisher = new Publisher(currentClient);
const cdnCookies = new CdnCookieSession(currentClient);
let photoGrid: PhotoGrid | undefined;
const folders = new FolderView(
  { client: currentClient, pageSize: tuning.pageSize, report, folderOpened: async (location, path) => photoGrid?.folderOpened(location, path) },
  {
    details: (location, key, opener) => details.show(location, key, opener),
    download: (location, key) => downloadWithProgress(currentClient(), location, key),
    share: (location, key) => share.open(location, key),
    canPublish: (location, key, locations) => cdnUrl() !== undefined && publisher.available(location, key, locations),
    publish: (location, key) => publisher.publish(location, key),
  },
);
const uploads = new UploadQueue({
  client: currentClient,
  uploaded: async (target) => {
    await folders.refreshIfShowing(target);
    await showIdentity();
  },
});

function createClient(getSessionToken?: () => string): ScopedStorageClient {
  const guestIdentityId = getSessionToken ? undefined : readGuestIdentityId();
  return new ScopedStorageClient({
    outputs: config.outputs,
    ...(getSessionToken ? { getSessionToken } : {}),
    ...(guestIdentityId ? { guestIdentityId } : {}),
    resumeStore: new LocalStorageResumeStore(localStorage),
    ...(tuning.partSize ? { partSize: tuning.partSize } : {}),
    ...(tuning.concurrency ? { concurrency: tuning.concurrency } : {}),
  });
}

async function showIdentity(): Promise<void> {
  const identity = await currentClient().whoami();
  const saved = readSavedSession();
  const tenant = identity.principalTags.tenant;
  element('identity-who').replaceChildren(
    ...(saved?.kind === 'user' ? ['Signed in as ', strong(saved.user), ...(tenant ? [` (team ${tenant})`] : [])] : ['Browsing as a ', strong('guest')]),
  );
  element('identity-id').textContent = identity.identityId;
  const expiry = element<HTMLTimeElement>('credentials-expiry');
  expiry.textContent = identity.credentialsExpireAt.toLocaleTimeString();
  expiry.dateTime = identity.credentialsExpireAt.toISOString();
  element('guest-sign-in-form').hidden = !identity.isGuest;
  element('view-tools').hidden = !signedInWithCdn();
  element('sign-out-button').textContent = identity.isGuest ? 'Leave' : 'Sign out';
  if (identity.isGuest) saveGuestIdentityId(identity.identityId);
}

function strong(text: string): HTMLElement {
  const bold = document.createElement('strong');
  bold.textContent = text;
  return bold;
}

/** Opens the storage browser for the saved session (a user or a guest); shows sign-in when there is none or it fails. */
async function openStorage(): Promise<void> {
  const session = readSavedSession();
  if (!session) return;
  client = session.kind === 'user' ? createClient(() => session.sessionToken) : createClient();
  try {
    await showIdentity();
    element('sign-in').hidden = true;
    element('storage').hidden = false;
    await folders.showLocations();
    element('folder-title').focus();
  } catch (error) {
    signOut();
    showMessage(friendlyError(error), 'error');
  }
}

async function signIn(user: string, tenant: string): Promise<void> {
  const sessionToken = await requestDevelopmentSession(config.outputs.tokenServiceUrl, user, tenant);
  saveSession({ kind: 'user', user, sessionToken });
  await openStorage();
}

async function continueAsGuest(): Promise<void> {
  saveSession({ kind: 'guest' });
  await openStorage();
}

/**
 * A guest signs in: the library links the guest identity to the user, so the guest's files become
 * theirs. A user who already has an identity keeps it; the guest's files then stay with the guest
 * identity, whose id stays saved so "Continue as guest" comes back to it.
 */
async function signInGuest(user: string): Promise<void> {
  const guest = currentClient();
  const guestIdentityId = (await guest.whoami()).identityId;
  const sessionToken = await requestDevelopmentSession(config.outputs.tokenServiceUrl, user);
  const result = await guest.signIn(() => sessionToken);
  saveSession({ kind: 'user', user, sessionToken });
  if (result.guestLinked) forgetGuestIdentityId();
  else saveGuestIdentityId(result.abandonedGuestIdentityId ?? guestIdentityId);
  await showIdentity();
  await folders.showLocations();
  if (result.guestLinked) showMessage(`Signed in as ${user}. Your files are still here.`);
  else showGuestFilesNotice(user, result.abandonedGuestIdentityId ?? guestIdentityId);
}

/** Stays on screen (not a fading message): the files just uploaded are not where the user now looks. */
function showGuestFilesNotice(user: string, guestIdentityId: string): void {
  const notice = element('guest-files-notice');
  notice.textContent = `${user} already had files of their own, so the files you uploaded as a guest were not moved here: they stay with the guest identity ${guestIdentityId}. To reach them, sign out and choose "Continue as guest" in this browser.`;
  notice.hidden = false;
}

function signOut(): void {
  forgetSession();
  client = undefined;
  folders.forget();
  photoGrid?.forget();
  cdnCookies.forget();
  details.close();
  element('uploads').replaceChildren();
  element('downloads').replaceChildren();
  element('guest-files-notice').hidden = true;
  element('sign-in').hidden = false;
  element('storage').hidden = true;
  element('user').focus();
}

function wireForms(): void {
  element<HTMLFormElement>('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const user = element<HTMLInputElement>('user').value.trim();
    const tenant = element<HTMLInputElement>('tenant').value.trim();
    signIn(user, tenant).catch((error: unknown) => showMessage(`Sign-in failed: ${(error as Error).message}`, 'error'));
  });
  element('guest-button').addEventListener('click', () => void continueAsGuest().catch(report));
  element<HTMLFormElement>('guest-sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    signInGuest(element<HTMLInputElement>('guest-user').value.trim()).catch((error: unknown) => showMessage(`Sign-in failed: ${friendlyError(error)}`, 'error'));
  });
  element('sign-out-button').addEventListener('click', signOut);
  element('request-files-button').addEventListener('click', () => {
    const target = folders.uploadTarget();
    if (target) requestFiles.open(target.location, target.path);
  });
  wireAddressDialog();

  const input = element<HTMLInputElement>('file-input');
  const enqueue = (files: Iterable<File>) => {
    const target = folders.uploadTarget();
    if (!target) return showMessage('You cannot upload into this folder.', 'error');
    for (const file of files) uploads.add(target, file);
  };
  input.addEventListener('change', () => {
    enqueue(input.files ?? []);
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
    enqueue(event.dataTransfer?.files ?? []);
  });
}

async function start(): Promise<void> {
  config = await loadPageConfig();
  element('guest-entry').hidden = config.outputs.guestsAllowed !== true;
  const cdn = cdnUrl();
  if (cdn !== undefined) photoGrid = new PhotoGrid({ client: currentClient, cdnUrl: cdn, cookies: cdnCookies, details: (location, key, opener) => details.show(location, key, opener), report });
  wireForms();
  await openStorage();
  document.body.dataset.ready = 'true';
}

start().catch((error: unknown) => showMessage(`The page could not start: ${(error as Error).message}`, 'error'));
