"""Marketing and repeat sales: client statistics and RFM, segments, promotions, campaigns, results."""
