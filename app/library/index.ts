export { ScopedStorageClient } from './scoped-storage-client.ts';
export type {
  ScopedStorageClientOptions,
  UploadBody,
  UploadOptions,
  UploadResult,
  StoredObject,
  FolderListing,
  ListFolderOptions,
  DownloadOptions,
  DownloadResult,
  ShareOptions,
  ShareLink,
  ObjectProperties,
  ObjectReference,
  CopyOptions,
  CopyResult,
  MoveResult,
  DeleteFailure,
  DeleteFolderProgress,
  FolderSummary,
  Identity,
  SignInResult,
  IdentityCredentialsSnapshot,
} from './scoped-storage-client.ts';
export type { UploadTask, UploadTaskState, UploadTaskProgress, UploadTaskResult } from './upload-task.ts';
export type { UploadLink, UploadLinkOptions } from './upload-links.ts';
export type { DownloadProgress } from './download-progress.ts';
export { StorageError, type StorageErrorCode } from './storage-errors.ts';
export { parseStorageOutputs, type StorageOutputs } from './storage-outputs.ts';
export { ACCESS_PERMISSIONS, ACCESS_GRANTEES } from './storage-location.ts';
export type { AccessPermission, AccessGrantee, PublishedAccessRule, LocationKind, StorageLocation, LocationReference, LocationIdentity } from './storage-location.ts';
export { resolveLocations } from './resolve-locations.ts';
export { isIdentityId } from './object-keys.ts';
export { permissionsAt } from './location-permissions.ts';
export { contentDisposition } from './content-disposition.ts';
export { cdnObjectUrl } from './cdn-address.ts';
export type { CdnLink, CdnLinkOptions, CdnCookies, CdnCookieSet } from './cdn-links.ts';
export { planPartSize, S3_PART_LIMITS, type PartLimits } from './part-size-plan.ts';
export { MemoryResumeStore, LocalStorageResumeStore, type ResumeStore, type ResumeRecord } from './resume-store.ts';
export { bytesSource, blobSource, type RandomAccessSource } from './upload-source.ts';
export { IdentityCredentialsProvider } from './identity-credentials.ts';
