import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { CurrentPrincipal } from '@case-storage/auth';
import { Principal } from '@case-storage/domain';
import type { Response } from 'express';
import { ManifestService } from './manifest.service';

/** Thin: parse, call the service, answer. Every route needs a token (global AuthGuard). */
@Controller('api/cases/:caseId/files')
export class ManifestController {
  constructor(private readonly manifest: ManifestService) {}

  /** The case's tree (or flat list) of files; the page is written as the stored bytes. */
  @Get()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('caseId') caseId: string,
    @Query() query: Record<string, unknown>,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const page = await this.manifest.listing(principal, caseId, query);
    res.setHeader('ETag', page.etag);
    // Personal data behind a token: never in a shared cache, always revalidated.
    res.setHeader('Cache-Control', 'private, no-cache');
    if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === page.etag || t.trim() === '*')) {
      res.status(304).end();
      return;
    }
    res.status(200).type('application/json').send(page.body);
  }

  @Get(':fileId/versions')
  versions(@CurrentPrincipal() principal: Principal, @Param('caseId') caseId: string, @Param('fileId') fileId: string) {
    return this.manifest.versions(principal, caseId, fileId);
  }

  @Get(':fileId/download')
  download(@CurrentPrincipal() principal: Principal, @Param('caseId') caseId: string, @Param('fileId') fileId: string, @Query('version') version: unknown) {
    return this.manifest.downloadUrl(principal, caseId, fileId, version);
  }
}
