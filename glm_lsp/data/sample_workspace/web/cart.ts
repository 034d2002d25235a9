// Shopping cart of the web shop; prices are integer cents, like the Python service.

export interface CartLine {
  sku: string;
  quantity: number;
  priceCents: number;
}

export class Cart {
  private lines: CartLine[] = [];
  readonly currency: string;

  constructor(currency: string) {
    this.currency = currency;
  }

  add(sku: string, quantity: number, priceCents: number): void {
    const existing = this.lines.find((line) => line.sku === sku);
    if (existing) {
      existing.quantity += quantity;
      return;
    }
    this.lines.push({ sku, quantity, priceCents });
  }

  remove(sku: string): boolean {
    const before = this.lines.length;
    this.lines = this.lines.filter((line) => line.sku !== sku);
    return this.lines.length < before;
  }

  totalCents(): number {
    return this.lines.reduce((sum, line) => sum + line.quantity * line.priceCents, 0);
  }

  lineCount(): number {
    return this.lines.length;
  }
}

export function checkout(cart: Cart): string {
  const total = cart.totalCents();
  return `${cart.lineCount()} lines, ${total / 100} ${cart.currency}`;
}
