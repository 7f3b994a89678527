// The Node-only parts of the client library (`scoped-s3-storage/client/node`): files, the outputs
// file, a request handler trusting a private CA. Kept apart so the browser entry stays free of node: modules.
export { createNodeStorageClient, createNodeRequestHandler, readStorageOutputsFile } from './create-node-storage-client.ts';
export { downloadToFile, type DownloadToFileOptions } from './download-to-file.ts';
export { FileResumeStore } from './file-resume-store.ts';
export { fileSource } from './file-source.ts';
