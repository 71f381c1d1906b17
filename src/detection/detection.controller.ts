import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { currentRequestContext } from '../common/request-context/request-context';
import { DetectionService, DetectResult } from './detection.service';
import { DetectObjectsDto, DetectObjectsResponse } from './dto/detect-objects.dto';

@ApiTags('detection')
@Controller('detect')
export class DetectionController {
  constructor(private readonly detection: DetectionService) {}

  @Post('objects')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Detect foreground objects in one image (synchronous)',
    description:
      'Built-in classical foreground detector, or the YOLO ONNX model of BDI_DETECTOR_MODEL. Errors: 400 ' +
      'invalid_image_payload (details.stage = decode_or_open), 422 validation_error, 503 overloaded.',
  })
  @ApiOkResponse({ type: DetectObjectsResponse })
  @ApiBadRequestResponse({ description: 'invalid_image_payload: message "invalid image payload: <reason>"' })
  detect(@Body() body: DetectObjectsDto): Promise<DetectResult> {
    return this.detection.detect(body, { requestId: currentRequestContext()?.requestId ?? 'unknown', priority: 'interactive' });
  }
}
