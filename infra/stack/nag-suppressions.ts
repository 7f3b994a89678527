import type { Stack } from 'aws-cdk-lib';

/** Placeholder until the first synth shows the findings. */
export function suppressAcceptedNagFindings(_stack: Stack): void {}
