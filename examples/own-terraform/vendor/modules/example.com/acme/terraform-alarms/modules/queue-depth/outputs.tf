output "arn" {
  description = "The alarm's ARN."
  value       = aws_cloudwatch_metric_alarm.this.arn
}
