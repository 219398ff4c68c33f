import { describeAppBoot } from '@case-storage/testing';

describeAppBoot('upload-api', 'upload-api', {
  protectedPath: '/api/admin/tenants/00000000-0000-4000-8000-000000000000/cases/00000000-0000-4000-8000-000000000001/members',
});
