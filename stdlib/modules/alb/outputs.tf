output "arn" {
  description = "The load balancer's ARN."
  value       = aws_lb.this.arn
}

output "dns_name" {
  description = "The load balancer's DNS name."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "The load balancer's Route 53 zone id."
  value       = aws_lb.this.zone_id
}

output "https_listener_arn" {
  description = "The HTTPS listener's ARN."
  value       = aws_lb_listener.https.arn
}

output "target_group_arn" {
  description = "The default target group's ARN."
  value       = aws_lb_target_group.this.arn
}

output "security_group_id" {
  description = "The load balancer's security group."
  value       = aws_security_group.this.id
}
