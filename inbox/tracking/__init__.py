"""Open pixel, click redirects and one-click unsubscribe for outbound mail (see ``service``)."""
