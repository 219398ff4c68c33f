import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import { AuthGuard } from './auth.guard';
import { CaseAccessService } from './case-access.service';
import { TokenVerifier } from './token-verifier';

/**
 * Authentication on every route (global guard) plus the case-access gate. Needs the
 * global APP_CONFIG (ConfigModule.forRoot) and the TenancyRepository (PersistenceModule.forRoot).
 */
@Module({})
export class AuthModule {
  static forRoot(): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        { provide: TokenVerifier, useFactory: (config: AppConfig) => new TokenVerifier(config.auth), inject: [APP_CONFIG] },
        CaseAccessService,
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [TokenVerifier, CaseAccessService],
    };
  }
}
