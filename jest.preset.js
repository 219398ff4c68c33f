const nxPreset = require('@nx/jest/preset').default;

// Unit tests are `*.spec.ts`; integration tests against the real services that
// `scripts/services` start are `*.int-spec.ts`. Both run in every project's `test` target.
module.exports = {
  ...nxPreset,
  testMatch: ['**/?(*.)+(spec|int-spec).ts'],
};
