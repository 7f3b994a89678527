export { ScopedStorageClient } from './scoped-storage-client.ts';
export type { ScopedStorageClientOptions, UploadBody, UploadOptions, UploadResult, StoredObject, DownloadResult, ShareLink, Identity } from './scoped-storage-client.ts';
export type { UploadProgress } from './multipart-upload.ts';
export { StorageError, type StorageErrorCode } from './storage-errors.ts';
export { parseStorageOutputs, type StorageOutputs } from './storage-outputs.ts';
export { MemoryResumeStore, LocalStorageResumeStore, type ResumeStore, type ResumeRecord } from './resume-store.ts';
export { bytesSource, blobSource, type RandomAccessSource } from './upload-source.ts';
export { IdentityCredentialsProvider } from './identity-credentials.ts';
