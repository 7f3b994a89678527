export interface DownloadProgress {
  loadedBytes: number;
  totalBytes: number;
}

/**
 * The body, counting bytes as the caller reads them (a pull-through stream with no buffer of its
 * own, so the count is what the caller has received, not what arrived). Web streams only, so it
 * runs the same in browsers and Node.
 */
export function countDownloadedBytes(body: ReadableStream<Uint8Array>, totalBytes: number, onProgress: (progress: DownloadProgress) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let loadedBytes = 0;
  onProgress({ loadedBytes, totalBytes });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        loadedBytes += value.byteLength;
        controller.enqueue(value);
        onProgress({ loadedBytes, totalBytes });
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
