package telemetry

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
)

// Resource describes this process to metric and trace backends: service
// name photondb, its version and instance id, plus OTEL_RESOURCE_ATTRIBUTES
// and OTEL_SERVICE_NAME from the environment.
func Resource(ctx context.Context, version, instance string) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{
		attribute.String("service.name", "photondb"),
		attribute.String("service.version", version),
	}
	if instance != "" {
		attrs = append(attrs, attribute.String("service.instance.id", instance))
	}
	r, err := resource.New(ctx, resource.WithAttributes(attrs...), resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return r, nil
}
