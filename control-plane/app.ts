import { App } from 'aws-cdk-lib';
import { createControlPlane } from './control-plane-app.js';

/** Entry point of `cdk synth` / `cdk deploy` (see cdk.json). */
const app = new App();
createControlPlane(app);
app.synth();
