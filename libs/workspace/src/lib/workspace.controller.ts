import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { CurrentPrincipal } from '@case-storage/auth';
import { parseBody, Principal } from '@case-storage/domain';
import { createWorkspaceBody } from './workspace.requests';
import { WorkspaceService } from './workspace.service';
import { WorkspaceView } from './workspace.views';

/** Thin: parse, call the service, answer. Every route needs a token (global AuthGuard). */
@Controller('api')
export class WorkspaceController {
  constructor(private readonly workspaces: WorkspaceService) {}

  @Post('cases/:caseId/workspaces')
  @HttpCode(HttpStatus.ACCEPTED)
  create(@CurrentPrincipal() principal: Principal, @Param('caseId') caseId: string, @Body() body: unknown): Promise<WorkspaceView> {
    return this.workspaces.create(principal, caseId, parseBody(createWorkspaceBody, body));
  }

  @Get('workspaces/:workspaceId')
  get(@CurrentPrincipal() principal: Principal, @Param('workspaceId') id: string): Promise<WorkspaceView> {
    return this.workspaces.get(principal, id);
  }

  @Post('workspaces/:workspaceId/sync')
  @HttpCode(HttpStatus.ACCEPTED)
  sync(@CurrentPrincipal() principal: Principal, @Param('workspaceId') id: string): Promise<WorkspaceView> {
    return this.workspaces.requestSync(principal, id);
  }

  @Delete('workspaces/:workspaceId')
  @HttpCode(HttpStatus.ACCEPTED)
  remove(@CurrentPrincipal() principal: Principal, @Param('workspaceId') id: string): Promise<WorkspaceView> {
    return this.workspaces.remove(principal, id);
  }
}
