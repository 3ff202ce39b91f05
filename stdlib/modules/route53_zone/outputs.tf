output "zone_id" {
  description = "The zone's id."
  value       = aws_route53_zone.this.zone_id
}

output "name" {
  description = "The zone's name."
  value       = aws_route53_zone.this.name
}

output "name_servers" {
  description = "The zone's name servers, to delegate a public zone from its parent."
  value       = aws_route53_zone.this.name_servers
}
