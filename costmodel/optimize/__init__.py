"""Path optimizer: scale-up, energy-density levers, material routes and suppliers toward a cost target."""
