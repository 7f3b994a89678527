import { ScopedStoragePropsError } from '../construct/index.ts';
import { buildStack } from '../stack/build-stack.ts';

try {
  buildStack().app.synth();
} catch (error) {
  // A prop mistake is the operator's to fix: print the message alone, not a stack trace.
  if (!(error instanceof ScopedStoragePropsError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
