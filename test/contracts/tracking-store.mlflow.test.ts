import { MlflowTrackingStore } from '../../src/tracking/index.js';
import { describeWithMlflow } from '../tracking/mlflow-test-server.js';
import { trackingStoreContract } from './tracking-store.contract.js';

describeWithMlflow('TrackingStore contract: MLflow server', (uri) => {
  trackingStoreContract(() => ({
    store: new MlflowTrackingStore({ url: uri }),
    cleanup: () => undefined,
  }));
});
