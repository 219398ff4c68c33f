import { describeAppBoot } from '@case-storage/testing';

describeAppBoot('manifest-service', 'manifest-service', { protectedPath: '/api/cases/00000000-0000-4000-8000-000000000000/files' });
