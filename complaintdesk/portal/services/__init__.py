"""The portal's writers: filing, the customer's answer and rating (through the ticket
services), tracking codes, the filing challenge and the shared rate limits."""
