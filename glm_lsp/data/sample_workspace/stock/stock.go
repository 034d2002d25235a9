// Package stock mirrors the Python warehouse for the Go fulfilment service.
package stock

import "fmt"

// Warehouse holds quantities per SKU.
type Warehouse struct {
	Name     string
	Capacity int
	Stock    map[string]int
}

// NewWarehouse returns an empty warehouse.
func NewWarehouse(name string, capacity int) *Warehouse {
	return &Warehouse{Name: name, Capacity: capacity, Stock: map[string]int{}}
}

// Quantity returns the units on hand.
func (w *Warehouse) Quantity(sku string) int {
	return w.Stock[sku]
}

// Restock adds units and returns the new quantity.
func (w *Warehouse) Restock(sku string, quantity int) int {
	w.Stock[sku] += quantity
	return w.Stock[sku]
}

// FreeCapacity is what still fits.
func (w *Warehouse) FreeCapacity() int {
	used := 0
	for _, n := range w.Stock {
		used += n
	}
	return w.Capacity - used
}

// Describe formats the warehouse for logs.
func (w *Warehouse) Describe() string {
	return fmt.Sprintf("%s (%d free)", w.Name, w.FreeCapacity())
}
