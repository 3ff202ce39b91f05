resource "aws_sqs_queue" "dlq" {
  count                     = var.redrive == null ? 0 : 1
  name                      = "${var.name}-dlq"
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = var.redrive.dlq_retention_days * 86400
}

resource "aws_sqs_queue" "this" {
  name                       = var.name
  kms_master_key_id          = var.kms_key_arn
  message_retention_seconds  = var.message_retention_seconds
  visibility_timeout_seconds = var.visibility_timeout_seconds
  redrive_policy = var.redrive == null ? null : jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = var.redrive.max_receive_count
  })
}
