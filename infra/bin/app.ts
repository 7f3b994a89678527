import { buildStack } from '../stack/build-stack.ts';

buildStack().app.synth();
