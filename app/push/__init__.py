"""Legal-education push (普法推送): articles, their review (三审), sends through the matrix, figures."""
