import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import { AuthGuard } from './auth.guard';
import { CaseAccessCache } from './case-access.cache';
import { CaseAccessService } from './case-access.service';
import { TokenVerifier } from './token-verifier';

/**
 * Authentication on every route (global guard) plus the case-access gate. Needs the
 * global APP_CONFIG (ConfigModule.forRoot), the TenancyRepository (PersistenceModule.forRoot) and REDIS (RedisModule).
 */
@Module({})
export class AuthModule {
  static forRoot(): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        { provide: TokenVerifier, useFactory: (config: AppConfig) => new TokenVerifier(config.auth), inject: [APP_CONFIG] },
        CaseAccessCache,
        CaseAccessService,
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [TokenVerifier, CaseAccessService, CaseAccessCache],
    };
  }
}
