import { describeAppBoot } from '@case-storage/testing';

describeAppBoot('manifest-service', 'manifest-service');
