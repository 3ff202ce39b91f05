variable "name" {
  type = string
}

variable "namespace" {
  type = string
}

variable "metric" {
  type = string
}

variable "dimensions" {
  type    = map(string)
  default = {}
}

variable "threshold" {
  type = number
}

variable "periods" {
  type    = number
  default = 3
}

resource "aws_cloudwatch_metric_alarm" "this" {
  alarm_name          = var.name
  namespace           = var.namespace
  metric_name         = var.metric
  dimensions          = var.dimensions
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = var.periods
  threshold           = var.threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
}

output "arn" {
  value = aws_cloudwatch_metric_alarm.this.arn
}
