import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { CurrentPrincipal } from '@case-storage/auth';
import { parseBody, Principal } from '@case-storage/domain';
import { completeUploadBody, initUploadBody } from './upload.requests';
import { UploadPolicyView, UploadService } from './upload.service';
import { FileRecordView, InitializedUpload } from './upload.views';

/** Thin: parse, call the service, answer. Every route needs a token (global AuthGuard). */
@Controller('api')
export class UploadController {
  constructor(private readonly uploads: UploadService) {}

  @Get('uploads/policy')
  policy(): UploadPolicyView {
    return this.uploads.getPolicy();
  }

  @Post('cases/:caseId/files')
  @HttpCode(HttpStatus.CREATED)
  init(@CurrentPrincipal() principal: Principal, @Param('caseId') caseId: string, @Body() body: unknown): Promise<{ files: InitializedUpload[] }> {
    return this.uploads.init(principal, caseId, parseBody(initUploadBody, body));
  }

  @Post('cases/:caseId/files/complete')
  @HttpCode(HttpStatus.CREATED)
  complete(@CurrentPrincipal() principal: Principal, @Param('caseId') caseId: string, @Body() body: unknown): Promise<{ files: FileRecordView[] }> {
    return this.uploads.complete(principal, caseId, parseBody(completeUploadBody, body));
  }

  @Delete('cases/:caseId/uploads/:uploadId')
  @HttpCode(HttpStatus.NO_CONTENT)
  abort(@CurrentPrincipal() principal: Principal, @Param('caseId') caseId: string, @Param('uploadId') uploadId: string): Promise<void> {
    return this.uploads.abort(principal, caseId, uploadId);
  }
}
