module.exports = {
  displayName: 'kubernetes',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
    // @kubernetes/client-node 1.x and a few of its dependencies ship only ES modules;
    // Jest's CommonJS runtime needs them transpiled (webpack bundles them as they are).
    '^.+\\.m?js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'es2022' }, isolatedModules: true }],
  },
  transformIgnorePatterns: ['node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose|hpagent|rfc4648|@jsep-plugin|jsep|jsonpath-plus)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'html'],
  coverageDirectory: '../../coverage/libs/kubernetes',
};
