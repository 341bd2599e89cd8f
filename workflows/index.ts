// The workflow bundle's entry point: every workflow type the workers register.
export { campaignWorkflow } from './campaign';
export { callWorkflow } from './call';
export { leadDeliveryWorkflow } from './lead-delivery';
