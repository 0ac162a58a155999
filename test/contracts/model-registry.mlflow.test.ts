import { MlflowModelRegistry, MlflowTrackingStore } from '../../src/tracking/index.js';
import { describeWithMlflow } from '../tracking/mlflow-test-server.js';
import { modelRegistryContract } from './model-registry.contract.js';

describeWithMlflow('ModelRegistry contract: MLflow server', (uri) => {
  modelRegistryContract(() => ({
    tracking: new MlflowTrackingStore({ url: uri }),
    registry: new MlflowModelRegistry({ url: uri }),
    cleanup: () => undefined,
  }));
});
