import { describeAppBoot } from '@case-storage/testing';

describeAppBoot('workspace-manager', 'workspace-manager');
